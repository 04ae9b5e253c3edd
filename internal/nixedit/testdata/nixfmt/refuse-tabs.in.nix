# nixfmt-test: line=11 refused=tabs rule=standard.md "Indentation": two spaces a level
{
	lib,
	stdenv,
}:

stdenv.mkDerivation {
	pname = "x";
	version = "1";
	meta = {
		description = "x";
	};
}
