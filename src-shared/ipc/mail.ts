/** Mail part of the IPC contract (owned by the mail capability). */
export const mailRequests = {};
export const mailEvents = {};
