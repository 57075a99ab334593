// The pages' one script: copy buttons wherever there are some, and the
// upload page where it is. Pages work without it except for uploading.
import { wireCopyButtons } from './copy.js';
import { startUploadPage } from './upload-page.js';

wireCopyButtons(document);
const zone = document.getElementById('upload');
if (zone) startUploadPage(zone);
