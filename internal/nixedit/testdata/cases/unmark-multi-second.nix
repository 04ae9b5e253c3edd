# markbot-test: op=unmark line=54 systems=x86_64-darwin,aarch64-darwin want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  cmake,
  pkg-config,
  zlib,
  libpng,
}:

let
  version = "3.4.0";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "pngquant-suite";
    tag = version;
    hash = "sha256-O0HH9FhdHyS/ZhfDwdIWkqVq+YDeADdktQKFS13QzAM=";
  };
in
{
  libimagequant-lite = stdenv.mkDerivation {
    pname = "libimagequant-lite";
    inherit version src;

    sourceRoot = "${src.name}/lib";

    nativeBuildInputs = [ cmake ];

    meta = {
      description = "Image quantization library";
      license = lib.licenses.gpl3Plus;
      platforms = lib.platforms.unix;
    };
  };

  pngquant-lite = stdenv.mkDerivation {
    pname = "pngquant-lite";
    inherit version src;

    nativeBuildInputs = [
      cmake
      pkg-config
    ];
    buildInputs = [
      zlib
      libpng
    ];

    doCheck = !stdenv.hostPlatform.isDarwin;

    meta = {
      description = "Tool to convert 24/32-bit RGBA PNGs to 8-bit palette with alpha channel preserved";
      homepage = "https://pngquant.org/";
      license = lib.licenses.gpl3Plus;
      platforms = lib.platforms.unix;
      mainProgram = "pngquant";
      # markbot: broken on x86_64-darwin, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
      broken = stdenv.hostPlatform.isDarwin;
    };
  };
}
