# markbot-test: op=mark line=43 systems=aarch64-darwin want=already-broken
{
  lib,
  stdenv,
  fetchFromGitHub,
  autoreconfHook,
  pkg-config,
  libpcap,
  ncurses,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "iftop-ng";
  version = "1.0pre4-unstable-2024-05-02";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "iftop";
    rev = "77901c8c53e01359d83b8090aacfe62214658183";
    hash = "sha256-5hfKXoV5SkBWWb4ljfLGR+28P9eKrz1/SoxYPFOJQE4=";
  };

  nativeBuildInputs = [
    autoreconfHook
    pkg-config
  ];
  buildInputs = [
    libpcap
    ncurses
  ];

  # Workaround build failure on -fno-common toolchains like upstream
  # gcc-10. Otherwise build fails as:
  #   ld: tui.o:/build/iftop-1.0pre4/ui_common.h:41: multiple definition of
  #     `service_hash'; iftop.o:/build/iftop-1.0pre4/ui_common.h:41: first defined here
  env.NIX_CFLAGS_COMPILE = "-fcommon";

  preConfigure = ''
    cp ${./config.h.in} config.h.in
  '';

  meta = {
    description = "Display bandwidth usage on a network interface";
    longDescription = ''
      iftop does for network usage what top(1) does for CPU usage. It listens
      to network traffic on a named interface and displays a table of current
      bandwidth usage by pairs of hosts.
    '';
    license = lib.licenses.gpl2Plus;
    homepage = "https://www.ex-parrot.com/pdw/iftop/";
    platforms = lib.platforms.unix;
    maintainers = [ ];
    mainProgram = "iftop";
    broken = stdenv.hostPlatform.isDarwin; # https://hydra.nixos.org/build/287654321
  };
})
