/** Stylesheets imported by the pages' scripts are bundled by esbuild into <page>.css. */
declare module '*.css' {}
