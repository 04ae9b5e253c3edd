# markbot-test: op=unmark line=37 want=changed
# A marker written before nixfmt's layout into a one-line meta.
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

  # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
  meta = { description = "Steam Locomotive runs across your terminal when you type sl"; broken = true; };
})
