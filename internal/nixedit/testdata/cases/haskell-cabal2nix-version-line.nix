# markbot-test: op=mark line=10 systems=aarch64-darwin want=refused
{
  mkDerivation,
  base,
  lib,
  text,
}:
mkDerivation {
  pname = "tiny-hs";
  version = "1.0.2";
  sha256 = "1b2c3d4e5f6g7h8j9k0l1m2n3p4q5r6s7t8v9w0x1y2z3a4b5c6d7e";
  libraryHaskellDepends = [
    base
    text
  ];
  license = lib.licenses.mit;
}
