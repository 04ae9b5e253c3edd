{
  lib,
  stdenv,
  fetchFromGitHub,
  autoreconfHook,
  perl,
  nixosTests,
  withDebug ? false,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "tinyproxy";
  version = "1.11.2";

  src = fetchFromGitHub {
    owner = "tinyproxy";
    repo = "tinyproxy";
    tag = finalAttrs.version;
    hash = "sha256-fhxdHNafsxFZi96rBtln8FxdVir4NRgOT+FcsNiQdUs=";
  };

  # perl is needed for man page generation.
  nativeBuildInputs = [
    autoreconfHook
    perl
  ];

  configureFlags = lib.optionals withDebug [ "--enable-debug" ]; # Enable debugging support code and methods.

  postPatch = ''
    substituteInPlace src/Makefile.am \
      --replace-fail '$(sysconfdir)' "$out/etc"
  '';

  passthru.tests = { inherit (nixosTests) tinyproxy; };

  meta = {
    homepage = "https://tinyproxy.github.io/";
    description = "Light-weight HTTP/HTTPS proxy daemon for POSIX operating systems";
    license = lib.licenses.gpl2Only;
    platforms = lib.platforms.all;
    maintainers = [ ];
    mainProgram = "tinyproxy";
  };
})
