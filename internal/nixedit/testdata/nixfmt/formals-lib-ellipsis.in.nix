# nixfmt-test: line=11 systems=x86_64-darwin rule=Pretty.hs canFlattenAttrs (two arguments and an ellipsis stay on one line); nixfmt test/diff/pattern/out.nix ({ b, e, ... }: _)
{ lib, ... }:
let
  buildGoModule = lib.id;
in

buildGoModule {
  pname = "fzf";
  version = "0.56.0";
  meta = {
    description = "Command-line fuzzy finder";
  };
}
