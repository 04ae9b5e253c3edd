# nixfmt-test: line=8 refused=two rule=Pretty.hs canFlattenAttrs: three arguments on one line are not nixfmt's
{ lib, buildGoModule, fetchFromGitHub }:

buildGoModule {
  pname = "x";
  version = "1";
  meta = {
    description = "x";
  };
}
