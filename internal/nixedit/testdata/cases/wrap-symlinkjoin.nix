# markbot-test: op=mark line=33 want=changed
{
  lib,
  symlinkJoin,
  makeWrapper,
  brasero-original,
  cdrtools,
  dvdplusrwtools,
  libdvdcss,
}:

let
  binPath = lib.makeBinPath [
    cdrtools
    dvdplusrwtools
  ];
in
symlinkJoin {
  name = "brasero-${brasero-original.version}";

  paths = [ brasero-original ];
  nativeBuildInputs = [ makeWrapper ];

  postBuild = ''
    wrapProgram $out/bin/brasero \
      --prefix PATH ':' ${binPath} \
      --prefix LD_LIBRARY_PATH : ${lib.makeLibraryPath [ libdvdcss ]}
  '';

  inherit (brasero-original) version;

  meta = with lib; {
    description = "Gnome CD/DVD Burner (wrapped with its runtime tools)";
    homepage = "https://gitlab.gnome.org/GNOME/brasero";
    license = licenses.gpl2Plus;
    maintainers = [ maintainers.bdimcheff ];
    platforms = platforms.linux;
    mainProgram = "brasero";
  };
}
