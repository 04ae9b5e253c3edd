# markbot-test: op=mark line=56 want=changed
{
  lib,
  stdenv,
  fetchurl,
  autoreconfHook,
  pkg-config,
  gtk2,
  gtk3,
}:

{
  gtkdialog-gtk2 = stdenv.mkDerivation rec {
    pname = "gtkdialog-gtk2";
    version = "0.9.7";

    src = fetchurl {
      url = "https://downloads.example.org/gtkdialog/gtkdialog-${version}.tar.gz";
      hash = "sha256-DDVApTxg26cLGyCdJoHvsm8EhwPxR9SRpYDpgYjTn3A=";
    };

    nativeBuildInputs = [
      autoreconfHook
      pkg-config
    ];
    buildInputs = [ gtk2 ];

    # -fno-common breakage, nobody has looked at it since gcc 10
    env.NIX_CFLAGS_COMPILE = "-fcommon";

    meta = {
      description = "Small utility for fast and easy GUI building";
      license = lib.licenses.gpl2Plus;
      platforms = lib.platforms.linux;
      broken = true;
    };
  };

  gtkdialog-gtk3 = stdenv.mkDerivation (finalAttrs: {
    pname = "gtkdialog-gtk3-fork";
    version = "0.10.2";

    src = fetchurl {
      url = "https://downloads.example.org/gtkdialog/gtkdialog-fork-${finalAttrs.version}.tar.gz";
      hash = "sha256-u+hDK9eFR84XupC5gjmEe+ddJ3/nqlQURw+G6r5Nlzo=";
    };

    nativeBuildInputs = [ pkg-config ];
    buildInputs = [ gtk3 ];

    postInstall = ''
      ln -s $out/bin/gtkdialog $out/bin/gtkdialog3
    '';

    meta = {
      description = "Maintained GTK3 fork of gtkdialog";
      license = lib.licenses.gpl2Plus;
      platforms = lib.platforms.linux;
      mainProgram = "gtkdialog";
    };
  });
}
