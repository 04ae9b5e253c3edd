# nixfmt-test: line=11 systems=x86_64-darwin rule=standard.md "Function declaration" #5: stdenv first when there is no lib
{
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
