// Socket.IO 4.8 peer for the Busbar benchmarks: WebSocket transport only, every client joins the
// default namespace, and POST /publish broadcasts the JSON body to all of them as event "ev".
// Usage: node server.js PORT
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2] || 3000);
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        res.writeHead(400).end();
        return;
      }
      io.emit('ev', body);
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  } else if (req.url === '/ready') {
    res.writeHead(200).end(String(io ? io.engine.clientsCount : 0));
  } else if (!req.url.startsWith('/socket.io')) {
    res.writeHead(404).end();
  }
});
const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
server.listen(port, '127.0.0.1', () => console.log('socket.io peer listening on ' + port));
process.on('SIGTERM', () => process.exit(0));
