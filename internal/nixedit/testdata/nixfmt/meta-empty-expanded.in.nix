# nixfmt-test: line=8 rule=standard.md "Attribute sets and lists" ({ } when empty) and "Bindings" (a set with bindings as a value is always expanded: Pretty.hs absorbRHS, prettySet wide)
{ lib }:

lib.makeOverridable (
  { stdenv }:
  stdenv.mkDerivation {
    pname = "one";
    version = "1";
    meta = { };
  }
)
