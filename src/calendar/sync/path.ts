/** The Google push receiver, relative to a business's base URL. Its own file so the HTTP layer can name it without loading the Google SDK. */
export const GOOGLE_WEBHOOK_PATH = '/webhooks/google/calendar';
