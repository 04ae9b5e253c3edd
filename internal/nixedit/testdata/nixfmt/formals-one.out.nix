# nixfmt-test: line=8 systems=x86_64-darwin rule=Pretty.hs canFlattenAttrs (two arguments without defaults stay on one line); nixfmt test/diff/pattern/out.nix ({ a }: _)
{ stdenv, buildGoModule }:

buildGoModule {
  pname = "fzf";
  version = "0.56.0";
  meta = {
    description = "Command-line fuzzy finder";
    # markbot: broken on x86_64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log), added the stdenv argument
    broken = stdenv.hostPlatform.system == "x86_64-darwin";
  };
}
