# markbot-test: op=mark line=41 systems=aarch64-linux want=changed
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
    hash = "sha256-H4xp80fysFjPFJ/MuyXcCGH6K37JXTIYX1aAIrtUkg4=";
  };

  patches = [
    (fetchpatch {
      url = "https://git.alpinelinux.org/aports/plain/main/figlet/musl-fix-cplusplus-decls.patch?h=3.4-stable&id=71776c73a6f04b6f671430f702bcd40b29d48399";
      name = "musl-fix-cplusplus-decls.patch";
      hash = "sha256-vC4hNBCoMbcewjF4A69NvGK7+U3Hh1RN9kKtDijn+lI=";
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

  meta = with lib; {
    description = "Program for making large letters out of ordinary text";
    homepage = "http://www.figlet.org/";
    license = licenses.afl21;
    maintainers = with maintainers; [ ehmry ];
    platforms = platforms.unix;
    mainProgram = "figlet";
  };
})
