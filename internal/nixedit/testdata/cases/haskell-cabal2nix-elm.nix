# markbot-test: op=mark line=40 want=refused
{
  mkDerivation,
  aeson,
  base,
  bytestring,
  containers,
  directory,
  fetchgit,
  filepath,
  http-client,
  lib,
  mtl,
  process,
  text,
}:
mkDerivation {
  pname = "web-compiler";
  version = "0.19.1";
  src = fetchgit {
    url = "https://example.org/web/compiler";
    sha256 = "0a0j4vy2vn8c8p1m4l2x9r6n0h5w7q3k1z8d6f4s2a0b9c7e5g3h1j";
    rev = "0123456789abcdef0123456789abcdef01234567";
  };
  isLibrary = false;
  isExecutable = true;
  executableHaskellDepends = [
    aeson
    base
    bytestring
    containers
    directory
    filepath
    http-client
    mtl
    process
    text
  ];
  homepage = "https://example.org/web";
  description = "The `web` command line interface";
  license = lib.licenses.bsd3;
}
