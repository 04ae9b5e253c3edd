# markbot-test: op=mark line=@L@ want=changed
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
    hash = "sha256-@H@";
  };

  nativeBuildInputs = [ installShellFiles ];

  makeFlags = [ "CC=${stdenv.cc.targetPrefix}cc" ];

  installPhase = ''
    runHook preInstall
    install -Dm755 lolcat censor -t $out/bin
    runHook postInstall
  '';

  meta = {
    description = "High-performance implementation of lolcat in C"; #@T
    homepage = "https://github.com/jaseg/lolcat";
    license = lib.licenses.wtfpl;
    maintainers = with lib.maintainers; [ ];
    platforms = lib.platforms.unix;
    mainProgram = "lolcat";
  };
})
