# markbot-test: op=unmark line=40 systems=x86_64-darwin want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  cmake,
  python3,
}:

stdenv.mkDerivation rec {
  pname = "simdjson-lite";
  version = "3.13.0";

  src = fetchFromGitHub {
    owner = "simdjson";
    repo = "simdjson";
    rev = "v${version}";
    hash = "sha256-eoVyB3/xMH07R/lamY6rrVCpV+eg9RevFX3JgfgzvzQ=";
  };

  nativeBuildInputs = [
    cmake
    python3
  ];

  cmakeFlags = [
    "-DSIMDJSON_DEVELOPER_MODE=OFF"
  ]
  ++ lib.optionals stdenv.hostPlatform.isStatic [
    "-DBUILD_SHARED_LIBS=OFF"
  ]
  ++ lib.optionals (with stdenv.hostPlatform; isPower && isBigEndian) [
    # Assume required CPU features are available, since otherwise we
    # just get a failed build.
    "-DCMAKE_CXX_FLAGS=-mpower8-vector"
  ];

  meta = {
    # upstream describes itself as "Parsing gigabytes of JSON per second"
    description = "Parsing gigabytes of JSON per second";
    homepage = "https://simdjson.org/";
    license = lib.licenses.asl20; # also MIT for some vendored parts
    platforms = lib.platforms.all;
    maintainers = with lib.maintainers; [ chessai ];
    # markbot: broken on x86_64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = stdenv.hostPlatform.system == "x86_64-darwin";
  }; # meta
}
