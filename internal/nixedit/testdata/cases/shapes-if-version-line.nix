# markbot-test: op=mark line=12 want=refused
# The position is the version (a caller passed a meta without a
# description): the package's meta is not the else branch.
{
  lib,
  stdenv,
  meta ? null,
}:

stdenv.mkDerivation {
  pname = "caller-meta";
  version = "1.0";

  meta =
    if meta != null then
      meta
    else
      {
        description = "Default description";
      };
}
