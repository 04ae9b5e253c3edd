# nixfmt-test: line=8 systems=x86_64-darwin rule=standard.md "Function declaration" #5 (each argument on its own line with a trailing comma); Pretty.hs canFlattenAttrs (three arguments do not stay on one line)
{ lib, buildGoModule }:

buildGoModule {
  pname = "fzf";
  version = "0.56.0";
  meta = {
    description = "Command-line fuzzy finder";
  };
}
