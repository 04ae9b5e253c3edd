# markbot-test: op=unmark line=55 want=not-marked
{
  lib,
  stdenv,
  fetchurl,
  python3,
}:

let
  docs = stdenv.mkDerivation rec {
    pname = "lua-lite-docs";
    version = "5.4.8";

    src = fetchurl {
      url = "https://www.lua.org/ftp/refman-${version}.tar.gz";
      hash = "sha256-V0yau7OaWbcKEgfGH9Cfrosw40UzmpQBvLAjJadi4Tw=";
    };

    nativeBuildInputs = [ python3 ];

    installPhase = ''
      mkdir -p $out/share/doc/lua
      cp -r . $out/share/doc/lua
    '';

    meta = {
      description = "Reference manual for lua-lite";
      license = lib.licenses.mit;
      # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
      broken = true;
    };
  };
in
stdenv.mkDerivation rec {
  pname = "lua-lite";
  version = "5.4.8";

  src = fetchurl {
    url = "https://www.lua.org/ftp/lua-${version}.tar.gz";
    hash = "sha256-qbc4mGyQAUUT6nkUqM6peOVZJ/9IE7x3EVFc82wW2CI=";
  };

  makeFlags = [
    "INSTALL_TOP=${placeholder "out"}"
    "CC=${stdenv.cc.targetPrefix}cc"
  ];

  postInstall = ''
    ln -s ${docs}/share/doc $out/share/doc
  '';

  passthru = { inherit docs; };

  meta = {
    description = "Powerful, fast, lightweight, embeddable scripting language";
    homepage = "https://www.lua.org";
    license = lib.licenses.mit;
    platforms = lib.platforms.unix;
    mainProgram = "lua";
  };
}
