# markbot-test: op=mark line=46 systems=aarch64-linux want=changed
{
  lib,
  llvmPackages_19,
  fetchFromGitHub,
  cmake,
  ninja,
  python3,
  zlib,
}:

let
  # upstream only supports building with clang
  stdenv = llvmPackages_19.stdenv;
in
stdenv.mkDerivation (finalAttrs: {
  pname = "ccls-lite";
  version = "0.20241108";

  src = fetchFromGitHub {
    owner = "MaskRay";
    repo = "ccls";
    rev = finalAttrs.version;
    hash = "sha256-gJ58/OgQzPuFaR9g/1HiG4FwLdYrOVdIwd63jSJdH1A=";
  };

  nativeBuildInputs = [
    cmake
    ninja
    python3
  ];

  buildInputs = [
    llvmPackages_19.llvm
    llvmPackages_19.libclang
    zlib
  ];

  cmakeFlags = [ "-DCCLS_VERSION=${finalAttrs.version}" ];

  preConfigure = ''
    cmakeFlagsArray+=(-DCMAKE_CXX_FLAGS="-fvisibility=hidden -fno-rtti")
  '';

  meta = {
    description = "C/C++ language server (clang-only build)";
    homepage = "https://github.com/MaskRay/ccls";
    license = lib.licenses.asl20;
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
    maintainers = with lib.maintainers; [ mic92 ];
    mainProgram = "ccls";
  };
})
