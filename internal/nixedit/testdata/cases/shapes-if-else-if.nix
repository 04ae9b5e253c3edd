# markbot-test: op=mark line=25 want=changed
# An else-if chain where only the last branch is written as a set (the
# others pass a caller's meta on): the position is in it.
{
  lib,
  stdenv,
  meta ? null,
  extraMeta ? null,
}:

stdenv.mkDerivation {
  pname = "chain";
  version = "0.4";

  meta =
    if meta != null then
      meta
    else if extraMeta != null then
      extraMeta
    else
      {
        # The description comes first in this set.
        mainProgram = "chain";
        license = lib.licenses.mit;
        description = "Chained builder";
      };
}
