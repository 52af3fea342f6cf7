import '../../infra/local/polyfills.ts';
