# nixfmt-test: line=11 refused=nixfmt rule=standard.md "Bindings" #1: a binding that fits is on one line, so broken =<newline>X is not nixfmt's
{
  lib,
  stdenv,
}:

stdenv.mkDerivation {
  pname = "x";
  version = "1";
  meta = {
    description = "x";
    broken =
      stdenv.hostPlatform.isDarwin;
  };
}
