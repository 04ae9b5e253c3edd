{
  lib,
  stdenv,
  fetchurl,
  fetchpatch,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "figlet";
  version = "2.2.5";

  # some tools can be found here ftp://ftp.figlet.org/pub/figlet/util/
  src = fetchurl {
    url = "ftp://ftp.figlet.org/pub/figlet/program/unix/figlet-${finalAttrs.version}.tar.gz";
    hash = "sha256-Sh67lM6lzTjW/fgAWo1BdamKHGciBYkK1DNytTNFJAs=";
  };

  patches = [
    (fetchpatch {
      url = "https://git.alpinelinux.org/aports/plain/main/figlet/musl-fix-cplusplus-decls.patch?h=3.4-stable";
      name = "musl-fix-cplusplus-decls.patch";
      hash = "sha256-U1iOWz/2tIzX6F9uGbBhugN83IYXQD1UQFJDJ6UC8Wg=";
    })
  ];

  makeFlags = [
    "prefix=$(out)"
    "CC:=$(CC)"
    "LD:=$(CC)"
  ];

  postPatch = ''
    substituteInPlace Makefile \
      --replace-fail "DEFAULTFONTDIR = " "DEFAULTFONTDIR = ${placeholder "out"}/share/figlet #"
  '';

  doCheck = true;

  meta = {
    description = "Program for making large letters out of ordinary text";
    homepage = "http://www.figlet.org/";
    license = lib.licenses.afl21;
    maintainers = with lib.maintainers; [
      alice-nix
      bob-builds
    ];
    platforms = lib.platforms.unix;
    mainProgram = "figlet";
  };
})
