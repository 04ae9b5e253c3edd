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
    hash = "sha256-dycMvUxRSLVgbcFmtf3Mw8l0CX4g1f2Qikp/wdkrjEU=";
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

  meta = {
    homepage = "https://www.gnu.org/software/units/";
    description = "Unit conversion tool";
    longDescription = ''
      GNU Units converts quantities expressed in various systems of
      measurement to their equivalents in other systems of measurement.
    '';
    license = with lib.licenses; [ gpl3Plus ];
    mainProgram = "units";
    maintainers = with lib.maintainers; [ carol-dev ];
    platforms = lib.platforms.all;
  };
}
