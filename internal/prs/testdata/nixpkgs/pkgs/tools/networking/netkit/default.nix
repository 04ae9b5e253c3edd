{
  lib,
  stdenv,
  fetchurl,
  perl,
  ncurses,
}:

let
  version = "4.2.1";
  src = fetchurl {
    url = "https://downloads.example.org/netkit/netkit-${version}.tar.gz";
    hash = "sha256-2oF9tnaRT5C5kB17wQH5Vm0J0ATOauFcRb1ehr1sayw=";
  };
in
{
  netkit-ftp = stdenv.mkDerivation {
    pname = "netkit-ftp";
    inherit version src;

    sourceRoot = "netkit-${version}/ftp";

    buildInputs = [ ncurses ];

    preConfigure = ''
      substituteInPlace Makefile --replace-fail '/usr/local' "$out"
    '';

    meta = {
      description = "Classic BSD FTP client";
      license = lib.licenses.bsdOriginal;
      platforms = lib.platforms.unix;
      mainProgram = "ftp";
    };
  };

  netkit-telnet = stdenv.mkDerivation {
    pname = "netkit-telnet";
    inherit version src;

    sourceRoot = "netkit-${version}/telnet";

    nativeBuildInputs = [ perl ];
    buildInputs = [ ncurses ];

    preConfigure = ''
      substituteInPlace Makefile --replace-fail '/usr/local' "$out"
      patchShebangs --build mkversion.pl
    '';

    meta = {
      description = "Classic BSD telnet client";
      license = lib.licenses.bsdOriginal;
      platforms = lib.platforms.unix;
      mainProgram = "telnet";
    };
  };
}
