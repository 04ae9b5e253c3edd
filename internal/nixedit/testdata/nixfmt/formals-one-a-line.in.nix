# nixfmt-test: line=12 systems=x86_64-darwin rule=standard.md "Function declaration" #5: stdenv on a line of its own, after lib
{
  lib,
  buildGoModule,
  fetchFromGitHub,
}:

buildGoModule {
  pname = "fzf";
  version = "0.56.0";
  meta = {
    description = "Command-line fuzzy finder";
  };
}
