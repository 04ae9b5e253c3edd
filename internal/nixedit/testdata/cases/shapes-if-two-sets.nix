# markbot-test: op=mark line=16 want=refused
# meta chosen by a platform condition between two written sets: which one a
# failing system gets is not the one the position names.
{
  lib,
  stdenv,
}:

stdenv.mkDerivation {
  pname = "dual";
  version = "3.1";

  meta =
    if stdenv.hostPlatform.isDarwin then
      {
        description = "Dual-licensed tool (macOS build)";
        license = lib.licenses.unfree;
      }
    else
      {
        description = "Dual-licensed tool";
        license = lib.licenses.gpl2Only;
      };
}
