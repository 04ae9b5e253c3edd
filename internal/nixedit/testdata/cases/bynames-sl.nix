# markbot-test: op=mark line=35 want=refused
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
    hash = "sha256-o5EmXY4aqm6yTz1bOyMa+P/A/Cjl/OAt5pMQwvMuGq8=";
  };

  buildInputs = [ ncurses ];

  makeFlags = [ "CC:=$(CC)" ];

  installPhase = ''
    runHook preInstall

    install -Dm755 -t $out/bin sl
    install -Dm644 -t $out/share/man/man1 sl.1{,.ja}

    runHook postInstall
  '';

  passthru.updateScript = null;

  meta = { description = "Steam Locomotive runs across your terminal when you type sl"; };
})
