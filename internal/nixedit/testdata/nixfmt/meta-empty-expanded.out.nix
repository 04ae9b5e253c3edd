# nixfmt-test: line=8 rule=standard.md "Attribute sets and lists" ({ } when empty) and "Bindings" (a set with bindings as a value is always expanded: Pretty.hs absorbRHS, prettySet wide)
{ lib }:

lib.makeOverridable (
  { stdenv }:
  stdenv.mkDerivation {
    pname = "one";
    version = "1";
    meta = {
      # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log), expanded meta
      broken = true;
    };
  }
)
