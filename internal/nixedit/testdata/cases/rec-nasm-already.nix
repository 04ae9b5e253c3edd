# markbot-test: op=mark line=36 systems=aarch64-linux want=already-broken
{
  lib,
  stdenv,
  fetchurl,
  perl,
  python3,
}:

stdenv.mkDerivation rec {
  pname = "yasm-legacy";
  version = "1.3.0";

  src = fetchurl {
    url = "https://www.tortall.net/projects/yasm/releases/yasm-${version}.tar.gz";
    hash = "sha256-xmY+J4qhDdjeu/n41Dmrpri43uFpOuBvk56BUSUmy4k=";
  };

  nativeBuildInputs = [
    perl
    python3
  ];

  # Fix build with gcc 15
  env.NIX_CFLAGS_COMPILE = "-std=gnu17";

  postPatch = ''
    patchShebangs --build tools/ modules/
  '';

  enableParallelBuilding = true;
  doCheck = true;

  meta = {
    homepage = "http://www.tortall.net/projects/yasm/";
    description = "Complete rewrite of the NASM assembler";
    license = lib.licenses.bsd2;
    mainProgram = "yasm";
    platforms = lib.platforms.unix;
    maintainers = [ ];
    broken = true; # marked broken 2021-03-26
  };
}
