import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import { credentialView } from '../../../services/projections.ts';
import type { CredentialRecord } from '../../../store/records.ts';
import { localTime } from '../dashboard-view.ts';

export function tokensBody(credentials: CredentialRecord[], ownCredentialId: string): SafeHtml {
  const views = credentials.map(credentialView);
  return html`<h1>Access tokens</h1>
<div class="columns">
<section aria-labelledby="new-token-heading" class="card">
  <h2 id="new-token-heading">New token</h2>
  <p>Photographers need a token to upload; give each one their own, so you can revoke it alone.</p>
  <form id="new-token" class="stack" novalidate>
    <label for="token-role">Role</label>
    <select id="token-role" name="role"><option value="photographer">Photographer (upload only)</option><option value="operator">Operator (everything)</option></select>
    <label for="token-name">Name</label>
    <input id="token-name" name="name" required maxlength="100" placeholder="e.g. Sam Lee">
    <button type="submit">Create token</button>
    <p class="form-message" role="alert" aria-live="assertive"></p>
  </form>
  <div id="new-token-result" class="token-result" hidden>
    <p><strong>Copy this token now: it is shown only once.</strong></p>
    <label for="new-token-value">Token for <span id="new-token-for"></span></label>
    <div class="row"><input id="new-token-value" readonly spellcheck="false"><button type="button" id="copy-token" class="secondary">Copy</button></div>
    <p class="small" role="status" id="copy-status"></p>
  </div>
</section>
<section aria-labelledby="tokens-heading" class="card wide">
  <h2 id="tokens-heading">Issued tokens</h2>
  <div class="table-wrap"><table>
    <caption class="visually-hidden">Issued tokens, oldest first</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Status</th></tr></thead>
    <tbody>${views.map(
      (c) => html`<tr class="${c.revokedAt !== null ? 'revoked' : ''}">
      <th scope="row">${c.name}${c.id === ownCredentialId ? html` <span class="small">(you)</span>` : ''}</th>
      <td>${c.role}</td>
      <td>${localTime(c.createdAt)}</td>
      <td>${
        c.revokedAt !== null
          ? html`<span class="badge badge-muted">Revoked</span>`
          : html`<button type="button" class="danger" data-revoke-credential="${c.id}" data-name="${c.name}">Revoke</button>`
      }</td>
    </tr>`,
    )}</tbody></table></div>
  <p class="form-message" id="tokens-message" role="alert" aria-live="assertive"></p>
</section>
</div>`;
}
