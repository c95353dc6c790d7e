// tree-sitter-powershell ships no type declarations that Node16 resolution finds: its default
// export is the grammar handed to tree-sitter's Parser.setLanguage.
declare module 'tree-sitter-powershell' {
  const language: unknown;
  export default language;
}
