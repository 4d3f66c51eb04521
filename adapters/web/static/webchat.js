// The try-it chat: POST /api/chat and show replies; every text goes in via textContent.
"use strict";

const log = document.getElementById("log");
const form = document.getElementById("ask");
const input = document.getElementById("text");

function userId() {
  let id = localStorage.getItem("banshi-user");
  if (!id) {
    id = "web-" + Math.random().toString(36).slice(2, 12);
    localStorage.setItem("banshi-user", id);
  }
  return id;
}

function bubble(who, text) {
  const div = document.createElement("div");
  div.className = "msg " + who;
  div.textContent = text;
  log.appendChild(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

function safeUrl(url) {
  return /^https?:\/\//i.test(url || "") ? url : "";
}

function show(reply) {
  if (reply.type === "text") {
    bubble("bot", reply.text);
  } else if (reply.type === "options") {
    const div = bubble("bot", reply.text || "");
    const list = document.createElement("div");
    list.className = "options";
    reply.options.forEach((option, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = (i + 1) + ". " + option.label;
      button.addEventListener("click", () => send({ text: option.payload }, option.label));
      list.appendChild(button);
    });
    div.appendChild(list);
  } else if (reply.type === "articles") {
    for (const article of reply.articles) {
      const div = bubble("bot article", "");
      const url = safeUrl(article.url);
      const title = document.createElement(url ? "a" : "strong");
      title.textContent = article.title;
      if (url) { title.href = url; title.target = "_blank"; title.rel = "noopener"; }
      div.appendChild(title);
      if (article.description) div.appendChild(document.createTextNode("\n" + article.description));
    }
  } else if (reply.type === "handoff") {
    bubble("bot", reply.text || "正在为您转接人工服务 / མི་ལ་སྤྲོད་བཞིན་ཡོད།");
  }
}

async function send(payload, shown) {
  bubble("me", shown);
  try {
    const response = await fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: userId(), ...payload }),
    });
    const data = await response.json();
    if (!response.ok) {
      bubble("bot error", data.error || "出错了，请稍后再试 / ནོར་འཁྲུལ་བྱུང་།");
      return;
    }
    data.replies.forEach(show);
  } catch (e) {
    bubble("bot error", "网络不通，请稍后再试 / དྲ་རྒྱ་མ་འབྲེལ།");
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send({ text }, text);
});

document.getElementById("where").addEventListener("click", () => {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (p) => send({ location: { lat: p.coords.latitude, lon: p.coords.longitude } }, "我的位置 / ངའི་གནས་ས།"),
    () => bubble("bot error", "无法获取位置，请直接输入地名 / གནས་ས་རྙེད་མ་སོང་།"),
  );
});
