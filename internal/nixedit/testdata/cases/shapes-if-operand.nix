# markbot-test: op=mark line=18 want=changed
# An if that is an operand of a // chain and writes no set: the literal set
# after it holds the marker, as for any other operand.
{
  lib,
  stdenv,
  meta ? null,
  extraMeta ? { },
}:

stdenv.mkDerivation {
  pname = "update-chain";
  version = "1.1";

  meta =
    (if meta != null then meta else extraMeta)
    // {
      description = "A meta merged after an if";
      license = lib.licenses.mit;
    };
}
