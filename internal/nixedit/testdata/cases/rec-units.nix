# markbot-test: op=mark line=47 want=changed
{
  lib,
  stdenv,
  fetchurl,
  readline,
  python3,
  enableCurrenciesUpdater ? true,
}:

let
  pythonEnv = python3.withPackages (p: [ p.requests ]);
in
stdenv.mkDerivation rec {
  pname = "units";
  version = "2.23";

  src = fetchurl {
    url = "mirror://gnu/units/units-${version}.tar.gz";
    hash = "sha256-9WA3XkGIxDNbc+D9e4zs2DXbZ4IsU+Ogaomb9ur03rQ=";
  };

  outputs = [
    "out"
    "info"
    "man"
  ];

  buildInputs = [
    readline
  ]
  ++ lib.optionals enableCurrenciesUpdater [ pythonEnv ];

  prePatch = lib.optionalString enableCurrenciesUpdater ''
    substituteInPlace units_cur \
      --replace-fail "#!/usr/bin/env python" "#!${pythonEnv}/bin/python"
  '';

  postInstall = lib.optionalString enableCurrenciesUpdater ''
    cp units_cur ${placeholder "out"}/bin/
  '';

  doCheck = true;

  meta = with lib; {
    homepage = "https://www.gnu.org/software/units/";
    description = "Unit conversion tool";
    longDescription = ''
      GNU Units converts quantities expressed in various systems of
      measurement to their equivalents in other systems of measurement.
    '';
    license = with licenses; [ gpl3Plus ];
    mainProgram = "units";
    maintainers = with maintainers; [ AndersonTorres ];
    platforms = platforms.all;
  };
}
