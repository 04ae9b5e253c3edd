# markbot-test: op=mark line=31 want=refused
{
  lib,
  stdenv,
  fetchFromGitHub,
  installShellFiles,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "lolcat-c";
  version = "1.5";

  src = fetchFromGitHub {
    owner = "jaseg";
    repo = "lolcat";
    rev = "v${finalAttrs.version}";
    hash = "sha256-o1ezGgG2s6vgbBcuy9nc+WvBLiS/eOzdkfg4DffzARk=";
  };

  nativeBuildInputs = [ installShellFiles ];

  makeFlags = [ "CC=${stdenv.cc.targetPrefix}cc" ];

  installPhase = ''
    runHook preInstall
    install -Dm755 lolcat censor -t $out/bin
    runHook postInstall
  '';

  meta = {
    description = "High-performance implementation of lolcat in C";
    homepage = "https://github.com/jaseg/lolcat";
    license = lib.licenses.wtfpl;
    maintainers = with lib.maintainers; [ ];
    platforms = lib.platforms.unix;
    mainProgram = "lolcat";
  };
})