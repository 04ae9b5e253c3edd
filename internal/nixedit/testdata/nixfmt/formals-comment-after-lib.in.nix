# nixfmt-test: line=11 systems=x86_64-darwin rule=Pretty.hs moveParamAttrComment: a comment after lib, stays after lib,
{
  lib, # for meta
  buildGoModule,
}:

buildGoModule {
  pname = "fzf";
  version = "0.56.0";
  meta = {
    description = "Command-line fuzzy finder";
  };
}
