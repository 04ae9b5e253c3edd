{
  lib,
  stdenv,
  fetchFromGitHub,
  ncurses,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "sl";
  version = "5.05";

  src = fetchFromGitHub {
    owner = "eyJhb";
    repo = "sl";
    rev = finalAttrs.version;
    hash = "sha256-juK4NihTyPc925tkZ2Y9pa49qfwO6X4vqMJvgTHexc8=";
  };

  buildInputs = [ ncurses ];

  makeFlags = [ "CC:=$(CC)" ];

  installPhase = ''
    runHook preInstall

    install -Dm755 -t $out/bin sl
    install -Dm644 -t $out/share/man/man1 sl.1{,.ja}

    runHook postInstall
  '';

  meta = {
    description = "Steam Locomotive runs across your terminal when you type sl";
    homepage = "https://github.com/eyJhb/sl";
    license = lib.licenses.unfreeRedistributable; # see LICENSE
    maintainers = with lib.maintainers; [
      alice-nix
      bob-builds
    ];
    platforms = lib.platforms.unix;
    mainProgram = "sl";
  };
})
