# markbot-test: op=mark line=20 want=refused
# meta computed by a function of the set: whether a broken added to the set
# reaches the package's meta is the function's business.
{
  lib,
  stdenv,
}:

let
  mkMeta =
    m:
    builtins.removeAttrs m [ "internal" ] // { platforms = lib.platforms.linux; };
in
stdenv.mkDerivation {
  pname = "metafn";
  version = "2.0";

  meta = mkMeta {
    internal = true;
    description = "Package whose meta a function builds";
    license = lib.licenses.asl20;
  };
}
