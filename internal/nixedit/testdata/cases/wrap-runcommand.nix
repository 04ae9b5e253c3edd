# markbot-test: op=mark line=17 systems=x86_64-linux want=changed
{
  lib,
  runCommand,
  makeWrapper,
  jre_headless,
  plantuml-jar,
  graphviz,
}:

runCommand "plantuml-wrapped-${plantuml-jar.version}"
  {
    nativeBuildInputs = [ makeWrapper ];
    inherit (plantuml-jar) version;

    meta = {
      description = "Draw UML diagrams using a simple and human readable text description";
      homepage = "https://plantuml.com/";
      license = lib.licenses.gpl3Plus;
      mainProgram = "plantuml";
      maintainers = with lib.maintainers; [ bjornfor ];
      platforms = lib.platforms.unix;
    };
  }
  ''
    mkdir -p $out/bin
    makeWrapper ${jre_headless}/bin/java $out/bin/plantuml \
      --argv0 plantuml \
      --set GRAPHVIZ_DOT ${graphviz}/bin/dot \
      --add-flags "-Djava.awt.headless=true -jar ${plantuml-jar}/lib/plantuml.jar"

    $out/bin/plantuml -help
  ''
