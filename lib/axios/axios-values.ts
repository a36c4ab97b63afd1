/**
 * The values of axios that the binding uses, imported in this one module: a bundler keeps
 * one `import` statement for each module that imports axios, so the others take them from here.
 */
export { default as axios, AxiosHeaders, CanceledError, getAdapter } from 'axios';
