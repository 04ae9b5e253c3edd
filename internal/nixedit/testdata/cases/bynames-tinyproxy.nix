# markbot-test: op=mark line=40 systems=x86_64-darwin,aarch64-darwin want=changed
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
    hash = "sha256-7JGa/V4v0lBu4ZwbFW7+yl7r/dw9BsiSH/hH9Dj3UCo=";
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

  meta = with lib; {
    homepage = "https://tinyproxy.github.io/";
    description = "Light-weight HTTP/HTTPS proxy daemon for POSIX operating systems";
    license = licenses.gpl2Only;
    platforms = platforms.all;
    maintainers = [ maintainers.carlosdagos ];
    mainProgram = "tinyproxy";
  };
})
