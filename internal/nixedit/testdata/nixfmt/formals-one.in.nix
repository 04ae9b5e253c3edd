# nixfmt-test: line=8 systems=x86_64-darwin rule=Pretty.hs canFlattenAttrs (two arguments without defaults stay on one line); nixfmt test/diff/pattern/out.nix ({ a }: _)
{ buildGoModule }:

buildGoModule {
  pname = "fzf";
  version = "0.56.0";
  meta = {
    description = "Command-line fuzzy finder";
  };
}
