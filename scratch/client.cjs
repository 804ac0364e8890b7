const net=require('net');const [port,transport,n]=process.argv.slice(2);const N=+n;let open=0,done=0;const socks=[];
const path=transport==='ws'?'/ws':transport==='sse'?'/sse':'/poll';
function one(i){const s=net.connect(+port,'127.0.0.1',()=>{
 const q=`${path}?topic=ticks&encoding=json${transport==="long-poll"?"&cursor=ticks:0":"&client=c"+i}`;
 let h=`GET ${q} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
 if(transport==='ws')h+='Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
 if(transport==='sse')h+='Accept: text/event-stream\r\n';
 s.write(h+'\r\n');});
 s.on('data',(d)=>{if(i===0&&!s.shown){s.shown=1;console.error('first reply:',String(d).slice(0,200).replace(/\r\n/g,' | '))}});s.on('error',e=>{console.error('err',e.message)});socks.push(s);}
let i=0;function ramp(){for(let k=0;k<200&&i<N;k++)one(i++); if(i<N)setTimeout(ramp,20); else setTimeout(()=>process.stdout.write('opened\n'),1500);}
ramp();
