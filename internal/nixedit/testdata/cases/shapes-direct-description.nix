# markbot-test: op=mark line=12 want=refused
# A builder (not Haskell's) that takes meta's fields as its own arguments.
{
  lib,
  mkPlugin,
}:

mkPlugin {
  pname = "editor-theme";
  version = "2024-05-01";
  src = ./.;
  description = "A dark theme for the editor";
  license = lib.licenses.mit;
}
