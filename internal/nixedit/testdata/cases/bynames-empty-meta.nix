# markbot-test: op=mark line=13 want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  cmake,
  boost,
  zlib,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "osm2pgsql-mini";
  version = "2.1.1";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "osm2pgsql-mini";
    rev = finalAttrs.version;
    hash = "sha256-xa7Mf0FwCnIE55YHSpE8IHsOVInZXKzsyjjpVQmU/aY=";
  };

  nativeBuildInputs = [ cmake ];

  buildInputs = [
    boost
    zlib
  ];

  cmakeFlags = [
    (lib.cmakeBool "BUILD_TESTS" finalAttrs.doCheck)
  ];

  doCheck = true;

  meta = { };
})
