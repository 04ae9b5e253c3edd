# nixfmt-test: line=8 systems=x86_64-darwin rule=nixfmt test/diff/pattern/out.nix (a@{ … }: and ... last without a comma); Pretty.hs canFlattenAttrs
args@{ lib, buildGoModule, ... }:

buildGoModule {
  pname = "fzf";
  version = "0.56.0";
  meta = {
    description = "Command-line fuzzy finder";
  };
}
