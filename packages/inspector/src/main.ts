/**
 * The page's entry: mounts the app and opens what the URL names.
 * @packageDocumentation
 */
import { App } from './ui/app.js';

const root = document.getElementById('app');
if (!root) throw new Error('the page has no #app element');
const app = new App(root);
void app.openUrl(new URLSearchParams(location.search)).finally(() => {
  document.body.dataset.ready = '1';
});
